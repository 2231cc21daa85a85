"""Local-only tooling (dynalite, tables from template.yaml) for tests, benchmarks and `make dev`; never deployed."""
