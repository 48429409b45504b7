import sys

from alsmsc.cli.main import main

sys.exit(main())
