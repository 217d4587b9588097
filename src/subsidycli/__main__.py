from subsidycli.cli import main

main()
