"""subsidycli: which subsidies can this organisation claim under this policy, and how much at most."""

__version__ = "0.1.0"
