"""A tokenizer wrapper that keeps tokenization linear on hostile text.

spaCy's tokenizer splits prefixes and suffixes off a whitespace-free run one at a time, which
is quadratic in the run's length: 4,000 emoji or brackets without a space take over a second,
100,000 take many minutes. Runs longer than ``MAX_RUN`` characters are cut into fixed-size
tokens instead; nothing of the text is lost, so offsets stay exact.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Doc
from spacy.vocab import Vocab

MAX_RUN = 100
_LONG_RUN = re.compile(r"\S{%d,}" % (MAX_RUN + 1))


class BoundedTokenizer:
    """Calls the pipeline's tokenizer on ordinary text and chunks over-long runs."""

    def __init__(self, inner: Callable[[str], Doc], vocab: Vocab) -> None:
        self.inner = inner
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        if not _LONG_RUN.search(text):
            return self.inner(text)
        words: list[str] = []
        spaces: list[bool] = []
        position = 0
        for match in _LONG_RUN.finditer(text):
            self._tokenize(text[position:match.start()], words, spaces)
            run = match.group()
            for start in range(0, len(run), MAX_RUN):
                words.append(run[start:start + MAX_RUN])
                spaces.append(False)
            position = match.end()
        self._tokenize(text[position:], words, spaces)
        return Doc(self.vocab, words=words, spaces=spaces)

    def _tokenize(self, piece: str, words: list[str], spaces: list[bool]) -> None:
        if not piece:
            return
        if piece[0] == " " and words and not spaces[-1]:
            spaces[-1] = True
            piece = piece[1:]
        for token in self.inner(piece):
            words.append(token.text)
            spaces.append(bool(token.whitespace_))

    def __getattr__(self, name: str):
        """Everything else (prefix_search, to_bytes, ...) is the wrapped tokenizer's."""
        return getattr(self.inner, name)
