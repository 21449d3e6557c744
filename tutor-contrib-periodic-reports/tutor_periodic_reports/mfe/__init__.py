"""The front-end package of the dashboard tab, packed here as a tarball by ``make tutor-frontend-tarball``."""
