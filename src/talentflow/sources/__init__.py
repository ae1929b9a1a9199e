"""Sources: the dataset catalog (provenance, checksums), presence checks, verification and upstream fetch."""
