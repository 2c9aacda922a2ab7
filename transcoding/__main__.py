from transcoding.cli import main

raise SystemExit(main())
