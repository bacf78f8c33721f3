"""``python -m twin`` runs the ``twin`` command."""

import sys

from twin.cli import main

sys.exit(main())
