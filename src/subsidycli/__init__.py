"""subsidycli: which subsidies can this organisation claim under a policy, and how much at most."""

__version__ = "0.1.0"
