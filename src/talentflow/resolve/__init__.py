"""Affiliation resolution: (affiliation string, e-mail domain) → institution, location and HQ country, sector."""
