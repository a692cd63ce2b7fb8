"""Tag suggestion quality and speed (issue 13: suggested skill tags from a packaged model).

Run: ``python -m bench.tagging``. Takes course content whose items carry known skill tags,
replaces every item's tags by the placeholder ``general`` (so every item needs tags), asks
:func:`attune.content.tagging.suggest_tags` for suggestions with the packaged model, and
reports top-1 accuracy (the best suggestion is a skill the item had) and top-3 accuracy (one
of the three best is). Sources: :data:`BANK`, a synthetic bank of 60 items over 6 clearly
different skills written for this; the test package ``tests/data/packages/valid`` (4
neighbouring fraction skills: hard); the Moodle XML and GIFT samples through their importers.
Then the throughput: items suggested per second on the bank repeated to 1,200 items, model
already loaded (the load is timed apart).

Prints the figures and writes them to ``bench/results/tagging.json``. A benchmark, not a
test: the accuracy floor is asserted in ``tests/integration/test_tagging_model.py``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from attune.content.model import (
    Choice,
    ContentItem,
    ContentSkill,
    CoursePackage,
    Resource,
    TextAnswer,
)
from attune.content.tagging import TagSuggestion, TextEmbedder, WordLlamaEmbedder, suggest_tags

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "tagging.json"
PLACEHOLDER = ContentSkill("general", "General")

SKILLS = (
    ContentSkill("fractions", "Fractions"),
    ContentSkill("decimals", "Decimals", resources=(Resource("Place value", "https://x.test/pv"),)),
    ContentSkill("geometry", "Geometry: shapes, angles and area"),
    ContentSkill("probability", "Probability"),
    ContentSkill("photosynthesis", "Photosynthesis"),
    ContentSkill("grammar", "English grammar"),
)

# One item a line: skill id | stem | choices, the right one first, separated by "; " | worked
# solution. Stems become <p> HTML; LaTeX stays as authors write it.
BANK = r"""
fractions | What is \(\frac{1}{2} + \frac{1}{4}\)? | 3/4; 2/6; 1/8 | Write 1/2 as 2/4.
fractions | Simplify 6/8 to its lowest terms. | 3/4; 2/3; 6/8 | Divide both by 2.
fractions | Which fraction is equivalent to 2/3? | 4/6; 3/4; 2/6 |
fractions | Add \(\frac{2}{5}\) and \(\frac{1}{5}\). | | Add the numerators: 3/5.
fractions | A pizza is cut into 8 equal slices and Sam eats 3. What part is eaten? | 3/8; 3/5 |
fractions | What is three quarters of 20? | 15; 5; 12 | 20 / 4 = 5, and 3 x 5 = 15.
fractions | Which is larger: 5/6 or 7/9? | 5/6; 7/9 | Compare 15/18 with 14/18.
fractions | Write the improper fraction 7/4 as a mixed number. | | 1 3/4
fractions | Subtract: 1/3 - 1/4. | 1/12; 0; 2/7 | Use the common denominator 12.
fractions | Multiply 2/3 by 3/5. | 2/5; 5/8; 6/8 | Multiply numerators and denominators.
decimals | Round 3.476 to one decimal place. | 3.5; 3.4; 3.48 |
decimals | What is 0.25 written as a percentage? | 25%; 2.5%; 0.25% |
decimals | Add 2.75 and 1.4. | 4.15; 2.89; 4.79 | Line up the decimal points.
decimals | Which number is greatest: 0.5, 0.45 or 0.405? | 0.5; 0.45; 0.405 |
decimals | What is the value of the digit 7 in 4.372? | 7 hundredths; 7 tenths; 7 |
decimals | Multiply 1.2 by 10. | 12; 1.20; 0.12 | Move the point one place right.
decimals | Write three tenths as a decimal number. | 0.3; 3.0; 0.03 |
decimals | Subtract 5.08 from 9.3. | 4.22; 4.78; 3.22 | 9.30 - 5.08 = 4.22
decimals | Order from smallest to largest: 1.09, 1.9, 1.009. | 1.009, 1.09, 1.9; 1.9, 1.09, 1.009 |
decimals | What is 12.5 divided by 100? | 0.125; 1.25; 1250 |
geometry | What is the area of a rectangle 5 cm long and 3 cm wide? | 15 cm²; 16 cm |
geometry | What do the three angles of a triangle add up to? | 180°; 90°; 360° |
geometry | Find the perimeter of a square with sides of 6 m. | 24 m; 36 m; 12 m |
geometry | A circle has a radius of 4 cm. What is its circumference? | | 2 × π × 4 cm
geometry | How many faces does a cube have? | 6; 8; 12 |
geometry | What is a triangle with three equal sides called? | equilateral; isosceles; scalene |
geometry | Two angles on a straight line add up to how many degrees? | 180; 90 |
geometry | What is the volume of a box 2 m by 3 m by 4 m? | 24 m³; 9 m³ |
geometry | Which shape has four right angles and four equal sides? | square; rhombus; kite |
geometry | A right triangle has legs 3 and 4. How long is the hypotenuse? | 5; 7 | 9 + 16 = 25.
probability | A fair coin is tossed. What is the probability of heads? | 1/2; 1; 0 |
probability | What is the chance of rolling a six with a fair die? | 1/6; 1/2; 6 |
probability | A bag holds 3 red and 7 blue marbles. How likely is drawing red? | 0.3; 0.7; 3 |
probability | Two coins are tossed. How likely is it that both land tails? | 1/4; 1/2 |
probability | Which event is impossible? | rolling a 7 on a six-sided die; tossing heads |
probability | The chance of rain tomorrow is 0.3. What is the chance of no rain? | 0.7; 0.3; 1.3 |
probability | A spinner has four equal parts, one of them green. How likely is green? | 1/4; 1/3 |
probability | How many outcomes are there when two dice are rolled? | 36; 12; 6 |
probability | A card is drawn from a deck of 52. What is the probability of a heart? | 1/4; 1/13 |
probability | A and B are independent, P(A) = 0.5, P(B) = 0.2. What is P(A and B)? | 0.1; 0.7; 0.3 |
photosynthesis | Which gas do plants take in from the air to make food? | carbon dioxide; oxygen |
photosynthesis | In which part of a plant cell does photosynthesis happen? | chloroplast; nucleus |
photosynthesis | What green pigment in leaves absorbs light energy? | | chlorophyll
photosynthesis | Which sugar do plants make from carbon dioxide and water? | glucose; lactose |
photosynthesis | Which gas do green plants release in sunlight? | oxygen; carbon dioxide; hydrogen |
photosynthesis | Why does a plant kept in the dark stop growing? | it cannot make food; it is cold |
photosynthesis | Complete: carbon dioxide + water → ___ + oxygen. | glucose; salt |
photosynthesis | How does the rate of photosynthesis change in bright light? | it rises; it stops |
photosynthesis | What are the tiny pores on a leaf that let gases in and out? | stomata; xylem |
photosynthesis | Which raw material do roots take from the soil to make food? | water; sugar |
grammar | Choose the past tense of the verb 'go'. | went; goed; gone |
grammar | Which word is an adjective in 'The tall boy ran quickly'? | tall; boy; quickly |
grammar | Pick the right verb: 'She ___ to school every day.' | walks; walk; walking |
grammar | What is the plural of 'child'? | children; childs; childes |
grammar | Which sentence is punctuated correctly? | Where are you going?; where are you going. |
grammar | Which word is the noun in 'The cat slept on the warm mat'? | mat; slept; warm |
grammar | Fill the gap with the right article: '___ apple a day.' | An; A; The |
grammar | Which word is an adverb in 'He spoke softly'? | softly; He; spoke |
grammar | Choose the correct form: 'They ___ finished their homework.' | have; has; having |
grammar | What is the subject of the sentence 'My sister plays the violin'? | My sister; plays |
"""


def bank_package() -> CoursePackage:
    """The synthetic bank as a package, each item tagged with its true skill."""
    items: list[ContentItem] = []
    numbers: dict[str, int] = {}
    for line in BANK.strip().splitlines():
        skill_id, stem, choices, solution = (part.strip() for part in line.split("|"))
        numbers[skill_id] = numbers.get(skill_id, 0) + 1
        options = [text for text in choices.split("; ") if text]
        item = ContentItem(
            item_id=f"{skill_id}-{numbers[skill_id]}",
            type="choice" if options else "text_entry",
            stem_html=f"<p>{stem}</p>",
            skill_ids=(skill_id,),
            choices=tuple(Choice(f"c{i}", text, i == 0) for i, text in enumerate(options)),
            text_answers=() if options else (TextAnswer(solution),),
            solution_html=solution if options else "",
        )
        items.append(item)
    return CoursePackage("bank", "Tagging bank", "1", SKILLS, tuple(items))


def strip_tags(package: CoursePackage) -> tuple[CoursePackage, dict[str, set[str]]]:
    """The package with every item tagged only ``general``, and each item's true skills (items
    whose only skills were placeholders are left out of the truth)."""
    from attune.content.tagging import is_placeholder_skill

    truth = {
        item.item_id: {s for s in item.skill_ids if not is_placeholder_skill(s)}
        for item in package.items
    }
    skills = package.skills if package.skill("general") else (*package.skills, PLACEHOLDER)
    items = tuple(replace(item, skill_ids=("general",)) for item in package.items)
    return replace(package, skills=skills, items=items), {k: v for k, v in truth.items() if v}


def accuracy(suggestions: tuple[TagSuggestion, ...], truth: dict[str, set[str]]) -> dict[str, Any]:
    """Top-1 and top-3 accuracy of suggestions against the true skills of each item."""
    ranked: dict[str, list[str]] = {}
    for s in suggestions:
        ranked.setdefault(s.item_id, []).append(s.skill_id)
    top1 = sum(1 for item, skills in truth.items() if set(ranked.get(item, [])[:1]) & skills)
    top3 = sum(1 for item, skills in truth.items() if set(ranked.get(item, [])[:3]) & skills)
    count = len(truth)
    return {
        "items": count,
        "skills": None,
        "top1": round(top1 / count, 4) if count else None,
        "top3": round(top3 / count, 4) if count else None,
    }


def evaluate(package: CoursePackage, embedder: TextEmbedder) -> dict[str, Any]:
    """Strip the tags, suggest with no score floor, and measure."""
    stripped, truth = strip_tags(package)
    suggestions = suggest_tags(stripped, embedder=embedder, top_k=3, min_score=-1.0)
    result = accuracy(suggestions, truth)
    skills = sum(1 for s in stripped.skills if s.skill_id != "general")
    result["skills"] = skills
    # Guessing one skill (three skills) at random, for an item with one true skill.
    result["chance_top1"] = round(1 / skills, 4) if skills else None
    result["chance_top3"] = round(min(3, skills) / skills, 4) if skills else None
    return result


def _sources() -> dict[str, CoursePackage]:
    from attune.content.importers.gift import import_gift
    from attune.content.importers.moodle_xml import import_moodle_xml
    from attune.content.package import load_package

    data = ROOT / "tests" / "data"
    moodle = import_moodle_xml(
        (data / "moodle" / "quiz.xml").read_bytes(), course_id="moodle", title="Moodle sample"
    )
    gift = import_gift(
        (data / "gift" / "quiz.gift").read_text(encoding="utf-8"), course_id="gift", title="GIFT"
    )
    sources = {"bank": bank_package(), "package valid": load_package(data / "packages" / "valid")}
    for name, result in (("moodle sample", moodle), ("gift sample", gift)):
        if result.package is not None:
            sources[name] = result.package
    return sources


def thresholds(embedder: TextEmbedder) -> list[dict[str, float]]:
    """On the bank, for some score floors: the share of right and of wrong skills kept."""
    stripped, truth = strip_tags(bank_package())
    every = suggest_tags(stripped, embedder=embedder, top_k=len(SKILLS), min_score=-1.0)
    right = [s.score for s in every if s.skill_id in truth[s.item_id]]
    wrong = [s.score for s in every if s.skill_id not in truth[s.item_id]]
    return [
        {
            "min_score": floor,
            "right_kept": round(sum(x >= floor for x in right) / len(right), 3),
            "wrong_kept": round(sum(x >= floor for x in wrong) / len(wrong), 3),
        }
        for floor in (0.0, 0.03, 0.05, 0.08, 0.1, 0.15)
    ]


def throughput(embedder: TextEmbedder, copies: int, repeats: int) -> float:
    """Items per second through suggest_tags on the bank repeated ``copies`` times (best of
    ``repeats`` runs)."""
    stripped, _ = strip_tags(bank_package())
    items = tuple(
        replace(item, item_id=f"{item.item_id}-{copy}")
        for copy in range(copies)
        for item in stripped.items
    )
    big = replace(stripped, items=items)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        suggest_tags(big, embedder=embedder)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=20, help="bank copies for throughput")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    embedder = WordLlamaEmbedder()
    start = time.perf_counter()
    version = embedder.version  # loads the model
    load_seconds = time.perf_counter() - start
    report: dict[str, Any] = {
        "model": f"wordllama {version} l2_supercat_256",
        "python": platform.python_version(),
        "load_seconds": round(load_seconds, 3),
        "accuracy": {name: evaluate(p, embedder) for name, p in _sources().items()},
        "bank_thresholds": thresholds(embedder),
        "items_per_second": round(throughput(embedder, args.copies, args.repeats)),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
