"""Lesson files: the schema, and every malformed file named with its line."""

from __future__ import annotations

import pytest

from twinviewer.teaching.lesson import LessonError, lesson_files, load_lesson, parse_lesson
from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401 - fixtures

GOOD = """\
title: T
steps:
  - load_heart: healthy
    text: hello
  - set: {control: preload, percent: 110}
  - question:
      prompt: SV?
      kind: direction
      metric: LVSV
      answer: increases
"""


def test_shipped_lessons_load_and_cover_the_six_topics():
    files = lesson_files()
    assert len(files) >= 6
    titles = " | ".join(load_lesson(f).title.lower() for f in files)
    for topic in ("pv loop", "preload", "aortic stenosis", "mitral regurgitation",
                  "heart failure", "intervals"):
        assert topic in titles


def test_good_lesson_parses():
    les = parse_lesson(GOOD, "good.yaml")
    assert [s.action for s in les.steps] == ["load_heart", "set", "question"]
    assert les.questions[0].options() == ["increases", "decreases", "unchanged"]


def test_json_lesson_parses(tmp_path):
    f = tmp_path / "j.json"
    f.write_text('{"title": "J", "steps": [{"load_heart": "severe_as"}, {"text": "hi"}]}')
    assert load_lesson(f).title == "J"


@pytest.mark.parametrize("bad, line, words", [
    (GOOD.replace("load_heart: healthy", "load_heart: unicorn"), 3, "unknown preset"),
    (GOOD.replace("control: preload", "control: mood"), 5, "unknown control"),
    (GOOD.replace("answer: increases", "answer: upwards"), 10, "direction answer"),
    (GOOD.replace("kind: direction", "kind: essay"), 8, "question kind"),
    (GOOD.replace("    text: hello", "    txet: hello"), 4, "unknown step key"),
    (GOOD.replace("  - set: {control: preload, percent: 110}", "  - set: {control: preload"),
     6, "not valid YAML"),
    (GOOD.replace("title: T\n", ""), 1, "needs 'title'"),
    ("title: T\nsteps:\n  - set: {control: preload, percent: 90}\n", 3, "before any load"),
    ("title: T\nsteps:\n  - load_heart: healthy\n  - apply: {intervention: magic}\n", 4,
     "unknown intervention"),
    ("title: T\nsteps:\n  - load_heart: healthy\n  - apply: {intervention: inotrope, "
     "settings: {dose: -3}}\n", 4, "dose"),
    ("title: T\nsteps:\n  - load_heart: healthy\n  - highlight: {plot: pv_loop, region: x}\n",
     4, "region"),
    ("title: T\nsteps:\n  - load_heart: healthy\n  - text: a\n    reset: true\n    set: "
     "{control: preload, percent: 90}\n", 4, "does one thing"),
])
def test_malformed_lesson_names_file_and_line(bad, line, words):
    with pytest.raises(LessonError) as err:
        parse_lesson(bad, "/some/folder/broken.yaml")
    msg = str(err.value)
    assert msg.startswith(f"broken.yaml, line {line}:"), msg
    assert words in msg
    assert "/some/folder" not in msg  # folder names stay out of messages


def test_unreadable_lesson_file(tmp_path):
    f = tmp_path / "bin.yaml"
    f.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(LessonError, match="bin.yaml: cannot read"):
        load_lesson(f)
    with pytest.raises(LessonError, match="missing.yaml: cannot read"):
        load_lesson(tmp_path / "missing.yaml")


def test_unknown_structure_is_named():
    with pytest.raises(LessonError, match="line 4: structure 'spleen'"):
        parse_lesson("title: T\nsteps:\n  - load_heart: healthy\n  - highlight: {structure: "
                     "spleen}\n", "s.yaml")


def test_a_lesson_may_apply_an_enabled_plugins_intervention(plugin_registry, tmp_path):  # noqa: F811
    """review12 #3: the lesson check knew only the interventions already in the library, so a
    lesson applying an enabled plug-in's intervention was refused as unknown; a disabled
    plug-in's is refused with the reason."""
    from tests.plugins.helpers import contribution_folder

    code = """
    from twinviewer.interventions.intervention import Intervention, Setting

    def _t(ctx, P, s):
        P[:, ctx.col("SYS.R_AR")] *= 1 - s["fall"] / 100
        return P

    LESSON_DRUG = Intervention(name="lesson_drug", title="Lesson drug", settings=(
        Setting("fall", "%", 20.0, (0.0, 50.0), "x (UNSOURCED)", label="Fall"),),
        description="test", evidence=(), assumptions=("test",), transform=_t,
        parameters=("SYS.R_AR",), main_setting="fall")
    """
    folder = contribution_folder(tmp_path, "tv-lesson-drug", code,
                                 '\n[[contributions.interventions]]\nname = "lesson_drug"\n'
                                 'ref = "tv_lesson_drug:LESSON_DRUG"\n')
    reg = plugin_registry(folder, entry_points=[])
    text = ("title: T\nsteps:\n  - load_heart: healthy\n  - apply: {intervention: "
            "lesson_drug, settings: {fall: 30}}\n")
    assert parse_lesson(text, "p.yaml").steps[1].args["intervention"] == "lesson_drug"
    reg.disable("tv-lesson-drug")  # its entry stays in the library this session: not used
    with pytest.raises(LessonError, match="line 4: intervention 'lesson_drug' is not available: "
                       "plugin 'tv-lesson-drug' is disabled because you disabled it"):
        parse_lesson(text, "p.yaml")
