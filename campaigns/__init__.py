"""Outreach and record side: tables, store, campaigns, scheduler, carriers, export, CLI.

This package never imports rasa; it reaches the bot through a small interface.
"""
