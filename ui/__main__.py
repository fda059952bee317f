"""``python -m ui [FILE...]``: open the window (same as ``extractdesk [FILE...]``)."""

import sys

from ui.app import main

sys.exit(main())
