"""`python -m campaigns.cli`, the same as the `screening` console script."""
import sys

from campaigns.cli import main

sys.exit(main())
