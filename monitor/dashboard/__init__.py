"""The web side of Vigil: acknowledgement links now, the incident dashboard next."""
