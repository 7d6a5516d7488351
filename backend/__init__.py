"""Lotse's Django project: settings, URLs and the apps that own every database row."""
