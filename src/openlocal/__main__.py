from openlocal.cli import main

main()
