"""The widget's options and the one script tag that carries them (admin page and demo page)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import escape

SCRIPT_PATH = "/widget/widget.js"
POSITIONS = ("bottom-right", "bottom-left")
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class WidgetOptions:
    """Empty values are left out of the tag: the widget then uses its defaults."""

    language: str = ""  # "" = the host page's <html lang>
    title: str = ""
    greeting: str = ""
    color: str = ""  # "#rrggbb"
    color_text: str = ""  # "#rrggbb"; "" = black or white, whichever reads better
    position: str = ""  # "" = bottom-right
    sources: tuple[int, ...] = ()
    suggestions: tuple[str, ...] = field(default=())
    # events through the host page's Matomo (widget part 5-matomo.js); the visitor's words
    # only when allowed as well
    matomo: bool = False
    matomo_questions: bool = False

    def attributes(self) -> list[tuple[str, str]]:
        pairs = [
            ("data-language", self.language if self.language in LANGUAGES else ""),
            ("data-title", self.title.strip()),
            ("data-greeting", self.greeting.strip()),
            ("data-color", self.color),
            ("data-color-text", self.color_text),
            ("data-position", self.position if self.position in POSITIONS[1:] else ""),
            ("data-sources", ",".join(str(int(s)) for s in self.sources)),
            (
                "data-suggestions",
                # "|" separates the questions, so one inside a question becomes "/"
                "|".join(s.strip().replace("|", "/") for s in self.suggestions if s.strip()),
            ),
            ("data-matomo", "on" if self.matomo else ""),
            ("data-matomo-questions", "on" if self.matomo and self.matomo_questions else ""),
        ]
        return [(name, value) for name, value in pairs if value]


def script_tag(script_url: str, options: WidgetOptions) -> str:
    """The tag a customer pastes into their pages, attribute values HTML-escaped."""
    parts = [f'<script src="{escape(script_url)}"']
    parts += [f'{name}="{escape(value)}"' for name, value in options.attributes()]
    return " ".join(parts) + " defer></script>"
