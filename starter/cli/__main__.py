"""`python -m starter.cli …`: the same as the `complaints` console script."""

from starter.cli.app import main

if __name__ == "__main__":
    main()
