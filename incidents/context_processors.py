"""What every page needs from the incident wing: how live pages redraw (read by static/harbour/live.js)."""

from . import realtime


def live(request):
    return {"live_config": realtime.live_config()}


def clocks(request):
    """Whether the header offers the Clocks board: to senior leaders, and to whoever leads an incident."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .models import MemberRole, Membership

    def offered() -> bool:
        return user.is_senior_leader or Membership.objects.active().filter(
            user=user, role__in=[MemberRole.LEAD, MemberRole.TACTICAL_LEAD]).exists()

    return {"clocks_board": offered}
