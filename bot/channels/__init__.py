"""Rasa input channels for Twilio voice and SMS, and the pure pieces they are built from.

Channels are registered where Rasa expects them: by class path in credentials.yml.
"""
