"""`{% player_config score as config %}`: what static/js/player.js needs, for json_script."""
from django import template
from django.templatetags.static import static

from editor.playback import score_recording_offset, score_recordings

register = template.Library()


@register.simple_tag
def player_config(score, share_token="") -> dict:
    """share_token: the page was opened through a share link, so recordings are fetched through it."""
    return {
        "soundFontUrl": static("soundfont/"),
        "recordingOffset": score_recording_offset(score=score),
        "recordings": score_recordings(score=score, share_token=share_token or ""),
    }
