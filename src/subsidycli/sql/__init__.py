"""The compiled policy as SQL, for populations (`subsidy summary`): pure text, no database.

`compile_summary` turns a compiled `Policy` (its expression trees, never their text) into one
query that adds up every article's results over a table of profiles, exactly as the Python
engine does; a policy using anything the compiler does not know is refused (`Unsupported`),
and `summary` runs the Python engine instead.
"""

from subsidycli.sql.compile import Query, compile_summary
from subsidycli.sql.known import same_inputs
from subsidycli.sql.types import COLUMN_TYPES, Unsupported

__all__ = ["COLUMN_TYPES", "Query", "Unsupported", "compile_summary", "same_inputs"]
