"""Exit 0 when the PostgreSQL server at the given URL answers, 1 otherwise (used by `make test`)."""
import sys

from sqlalchemy import create_engine, text


def main(url: str) -> int:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return 0
    except Exception as exc:  # any failure to connect means: not available
        print(f"PostgreSQL not available: {exc.__class__.__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
