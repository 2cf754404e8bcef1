import sys

from mudar.cli.main import main

sys.exit(main())
