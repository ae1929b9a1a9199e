"""Careers: paper tiers and subfields, people, career events and stages."""
