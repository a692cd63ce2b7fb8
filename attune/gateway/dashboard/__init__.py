"""The instructor dashboard's charts and exports (issue 14), drawn on the server.

Pure functions that return strings: inline SVG charts, the HTML data table behind each chart
(WCAG 1.1.1: a text alternative that carries the same data), and CSV. No Flask here: the
routes pass data in and put the strings into their templates. Every name shown comes from the
LMS and is untrusted, so every string is escaped on the way out (see ``markup``). The pages'
Content-Security-Policy admits only hashed styles, so nothing here writes a ``style``
attribute or element: SVG presentation attributes (``fill``, ``stroke``, ``font-size``) only.
"""
