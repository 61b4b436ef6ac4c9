"""Outreach: campaign files, schedules, pacing, planning, the dispatcher and what follows each attempt."""
