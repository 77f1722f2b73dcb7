"""French administrative referentials: regions, departments, communes; loaded lazily from data/."""
