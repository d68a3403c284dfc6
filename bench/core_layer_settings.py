"""Harbour's settings with channels_redis' list-based core layer instead of the pub/sub layer.

Only for `bench/live_fanout.py --mode production --layer core`, to compare the two Redis layers on the
same fan-out; the application itself always uses the pub/sub layer (config/settings.py).

The socket timeout is raised above the core layer's 5 s BZPOPMIN: redis-py 8 defaults socket_timeout to
5 s too, and an idle consumer whose BZPOPMIN reply comes back a little late then dies with
"TimeoutError: Timeout reading from ..." (seen at 200 sockets). The pub/sub layer is not affected.
"""

from config.settings import *  # noqa: F403 - a settings overlay: everything, then one change
from config.settings import CHANNEL_LAYERS, REDIS_URL

if CHANNEL_LAYERS["default"]["BACKEND"] != "channels_redis.pubsub.RedisPubSubChannelLayer":
    raise RuntimeError("core_layer_settings needs REDIS_URL set (the Redis pub/sub layer to replace)")
CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.core.RedisChannelLayer"
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [{"address": REDIS_URL, "socket_timeout": 15}]
