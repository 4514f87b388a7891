"""Meetings, their people and roles, attendance."""
