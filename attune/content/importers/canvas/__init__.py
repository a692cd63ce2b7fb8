"""Canvas classic quizzes (IMS QTI 1.2) into a :class:`~attune.content.model.CoursePackage`.

Input: a Canvas course export (``.imscc``, IMS Common Cartridge 1.1), a Canvas QTI export
zip (an ``imsmanifest.xml`` listing ``imsqti_xmlv1p2`` resources), or one bare QTI 1.2 file
(root ``questestinterop``). How the zip is laid out and read:
:mod:`~attune.content.importers.canvas.archive`.

Question types (``question_type`` in ``itemmetadata/qtimetadata``) and what they become:

* ``multiple_choice_question``, ``true_false_question`` → ``choice``;
* ``multiple_answers_question`` → ``multiple_response`` with partial credit (Canvas's default
  scoring: +1/n per right choice ticked, -1/n per wrong one);
* ``short_answer_question`` → ``text_entry`` (case-insensitive, as Canvas compares);
* ``numerical_question`` → ``numeric`` (exact with margin, precision and range answers);
* ``multiple_dropdowns_question`` with one blank → ``inline_choice``;
* ``fill_in_multiple_blanks_question`` with one blank → ``text_entry``;
* essay, file upload, text only, matching, calculated/formula, and drop-downs or blanks with
  more than one blank → reported in ``skipped``, each located and naming its type.

Per-answer feedback (``itemfeedback`` linked by ``displayfeedback``) goes to the answer;
``general_fb``, ``correct_fb`` and ``general_incorrect_fb`` to the general feedback.
``points_possible`` is not carried: Attune scores every item from 0 to 1. Images and other
files under ``web_resources/`` linked as ``$IMS-CC-FILEBASE$/...`` become package media,
images keeping their alt text. IRT parameters are the defaults.

Untrusted input: zips are read within the package loader's limits and refusals, XML by
defusedxml with DTDs and entities refused. Nothing raises on bad input: every problem is
located (the file inside the export, ``item <ident> (title)``, the XPath of the field) and
the package holds the rest, passing the package validator's semantic checks.
"""

from attune.content.importers.canvas.importer import import_canvas_qti

__all__ = ["import_canvas_qti"]
