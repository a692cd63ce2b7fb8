"""LTI 1.3 and LTI Advantage, around pylti1p3."""
