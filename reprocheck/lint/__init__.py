"""Discovery, configuration, selection, pragmas, and the run that turns paths into a Report."""
