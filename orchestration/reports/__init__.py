"""Reports for the office, built from the published marts only: the 通报 workbook, the draft 通报
text and the offline web scorecard of one period."""
