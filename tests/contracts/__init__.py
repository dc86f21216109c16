"""Contract suites: one set of tests held against every implementation of an interface."""
