"""rag.answer.extractive: which sentences answer, with which neighbours, from which pages."""

from __future__ import annotations

from dataclasses import replace

from rag.answer.extractive import extractive_answer
from tests.chat.test_answer_units import chunk


def quote_lines(answer) -> list[str]:
    return [line for line in answer.text.splitlines()[1:] if line.strip()]


def test_the_sentence_holding_the_names_is_quoted_whole_not_cut_at_dr():
    page = chunk(
        "Wir sind ein gemeinnütziger Verein. Ansprechpartner*innen sind aktuell: Dr. Anna "
        "Schmidt und Prof. Dr. Jan Meier. Der Verein hat 30 Mitglieder.",
        title="Kontakt",
    )
    answer = extractive_answer("Wer sind die Ansprechpartner*innen?", [page], "de")
    assert answer.text.splitlines() == [
        "Dazu steht auf der Seite „Kontakt“:",
        "",
        "Ansprechpartner*innen sind aktuell: Dr. Anna Schmidt und Prof. Dr. Jan Meier. [1]",
    ]


def test_a_list_after_a_colon_comes_with_its_sentence():
    page = chunk(
        "Anmeldung\n\nSo melden Sie sich an:\n\n- Formular ausfüllen\n- Beitrag überweisen"
        "\n\nDanach erhalten Sie eine Bestätigung.\n\nDer Verein wurde 1990 gegründet."
    )
    answer = extractive_answer("Wie melde ich mich an?", [page], "de")
    assert quote_lines(answer) == [
        "So melden Sie sich an: Formular ausfüllen; Beitrag überweisen [1]"
    ]


def test_a_list_item_comes_alone_not_with_the_next_item():
    page = chunk(
        "Termine 2026\n\n- International Asexuality Day | 06.04.\n\n"
        "- Aplatonic Day Of Visibility | 04.05.\n\n- Pride Month | Juni"
    )
    answer = extractive_answer("Wann ist der International Asexuality Day?", [page], "de")
    assert quote_lines(answer) == ["International Asexuality Day | 06.04. [1]"]


def test_a_sentence_that_refers_back_comes_with_the_one_before():
    page = chunk(
        "Der Kiezladen liegt in der Hauptstr. 5. Er ist dienstags von 10 bis 14 Uhr geöffnet."
    )
    answer = extractive_answer("Wann ist geöffnet?", [page], "de")
    assert quote_lines(answer) == [
        "Der Kiezladen liegt in der Hauptstr. 5. Er ist dienstags von 10 bis 14 Uhr geöffnet. [1]"
    ]


def test_one_quote_per_page_unless_the_second_adds_something():
    first = chunk("Der Jahresbeitrag beträgt 120 Euro.", url="https://x.example/b")
    again = replace(
        chunk("Der Jahresbeitrag wird im Januar fällig.", url="https://x.example/b"), chunk_index=1
    )
    adds = chunk("Kinder zahlen einen ermäßigten Jahresbeitrag.", url="https://x.example/b")
    answer = extractive_answer("Wie hoch ist der Jahresbeitrag?", [first, again], "de")
    assert answer.used == (1,)
    answer = extractive_answer("Jahresbeitrag für Kinder?", [first, again, adds], "de")
    assert answer.used == (3,)  # the one sentence that covers both words is enough


def test_off_topic_passages_are_not_quoted():
    chunks = [
        chunk("Der Jahresbeitrag beträgt 120 Euro für Erwachsene.", url="a"),
        chunk("Unsere Erwachsenen trainieren donnerstags.", url="b"),
    ]
    answer = extractive_answer("Wie hoch ist der Jahresbeitrag für Erwachsene?", chunks, "de")
    assert answer.used == (1,)


def test_the_same_sentence_on_two_pages_is_quoted_once():
    text = "Die Geschäftsstelle ist montags von 9 bis 12 Uhr geöffnet."
    chunks = [chunk(text, url="a"), chunk(text, url="b")]
    answer = extractive_answer("Wann ist die Geschäftsstelle geöffnet?", chunks, "de")
    assert answer.used == (1,)


def test_only_tables_or_numbers_give_no_answer_rather_than_a_row_of_figures():
    table = chunk("2021 2022 2023\n\n120 130 140\n\n12,5 13,0 14,1")
    assert extractive_answer("Wie viele Mitglieder 2022?", [table], "de") is None


def test_a_table_with_words_is_quoted_around_the_match_with_ellipses():
    row = " ".join(f"Zeile{i} Wert {i}" for i in range(60))
    table = chunk(f"{row} Geothermie Anlage Leistung 500 kW {row}")
    answer = extractive_answer("Welche Leistung hat die Geothermie-Anlage?", [table], "de")
    (line,) = quote_lines(answer)
    assert "Geothermie Anlage Leistung 500 kW" in line
    assert line.startswith("… ") and line.endswith(" … [1]") and len(line) < 400


def test_an_english_question_on_german_pages_says_so_in_one_line():
    page = chunk("Das ACE Week Programm 2023 beginnt am 22. Oktober.", title="ACE Week")
    answer = extractive_answer("When does the ACE Week 2023 start?", [page], "en")
    assert answer.text.splitlines()[:2] == ["Our page “ACE Week” says:", "The page is in German."]


def test_a_german_question_on_an_english_page_says_so():
    page = replace(chunk("Our English meetups are on Discord every month."), language="en")
    answer = extractive_answer("Gibt es englische Meetups?", [page], "de")
    assert answer.text.splitlines()[1] == "Die Seite ist auf Englisch."


def test_a_passage_in_another_language_without_a_shared_word_is_an_honest_no():
    page = chunk("Die Mitgliederversammlung findet jährlich statt.")
    assert extractive_answer("When is the general assembly held?", [page], "en") is None


def test_footnote_numbers_in_page_text_do_not_become_citations():
    page = chunk("Der Verein wurde 1990 in Berlin gegründet.[3] Er hat 30 Mitglieder.")
    answer = extractive_answer("Wann wurde der Verein gegründet?", [page], "de")
    assert quote_lines(answer) == ["Der Verein wurde 1990 in Berlin gegründet. [1]"]


def test_an_english_announcement_on_a_german_page_needs_no_language_note():
    page = chunk("Dear community, our English language meetups take place every month.")
    answer = extractive_answer("Are there English language meetups?", [page], "en")
    assert "German" not in answer.text
