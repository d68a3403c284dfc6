"""What every page needs from staff support: whether the header links to support requests."""

from .selectors import support_requests


def support(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .policy import WELLBEING_LEADS, requests

    # Wellbeing leads, and anyone with requests of their own, get a link to the support requests.
    return {"shows_support": requests.qualifies(user, WELLBEING_LEADS) or support_requests(user).exists()}
