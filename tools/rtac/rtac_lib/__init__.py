"""rtac: compiles async2 C sources for the rtasync engines (docs/rtac.md)."""
