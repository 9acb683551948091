from hemaops.cli import main

raise SystemExit(main())
