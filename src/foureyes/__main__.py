from foureyes.cli import main

main()
