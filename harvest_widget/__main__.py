import sys

from harvest_widget.main import main

sys.exit(main())
