"""Make comms/data/common_words.txt: the ordinary English words the identifier check treats as ordinary.

A word is in the list when it is in a British English dictionary as a lowercase word (so names, which
the dictionary spells with a capital, are not) and is used often enough in English text (wordfreq's
Zipf frequency of 3.0 or more: about once in a million words). Each line is the word and its Zipf
frequency; comms/identifier_text.py reads both (how common a word must be to pass on its own is decided
there, not here).

Run by hand when the list should be remade, not by the build. It needs what the build does not:
    apt-get install wbritish               # /usr/share/dict/british-english
    python -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq
    /tmp/wf/bin/python scripts/make-common-words.py > comms/data/common_words.txt
"""

from __future__ import annotations

import sys
from importlib.metadata import version

from wordfreq import zipf_frequency

DICTIONARY = "/usr/share/dict/british-english"
LEAST_ZIPF = 3.0


def main() -> None:
    with open(DICTIONARY, encoding="utf-8") as handle:
        words = sorted({w.strip() for w in handle if w.strip().isascii() and w.strip().isalpha()
                        and w.strip().islower()})
    kept = [(word, zipf_frequency(word, "en")) for word in words]
    kept = [(word, z) for word, z in kept if z >= LEAST_ZIPF]
    out = sys.stdout
    out.write(f"# Ordinary English words: lowercase in {DICTIONARY} (Debian wbritish) and of Zipf frequency\n")
    out.write(f"# {LEAST_ZIPF} or more in wordfreq {version('wordfreq')}. Made by scripts/make-common-words.py.\n")
    out.write("# word<TAB>Zipf frequency\n")
    for word, z in kept:
        out.write(f"{word}\t{z:.2f}\n")


if __name__ == "__main__":
    main()
