"""Harbour's settings with channels_redis' list-based core layer instead of the pub/sub layer.

Only for `bench/live_fanout.py --mode production --layer core`, to compare the two Redis layers on the
same fan-out; the application itself always uses the pub/sub layer (config/settings.py).
"""

from config.settings import *  # noqa: F403 - a settings overlay: everything, then one change
from config.settings import CHANNEL_LAYERS

if CHANNEL_LAYERS["default"]["BACKEND"] != "channels_redis.pubsub.RedisPubSubChannelLayer":
    raise RuntimeError("core_layer_settings needs REDIS_URL set (the Redis pub/sub layer to replace)")
CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.core.RedisChannelLayer"
