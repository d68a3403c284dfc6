"""What every page needs from the incident wing: how live pages redraw (read by static/harbour/live.js)."""

from core import realtime


def live(request):
    return {"live_config": realtime.live_config()}

