"""What people read: terminal tables, calc's views (table, Markdown), the HTML report, the policy
views (articles, explain, diff) and summary's views. rich and Jinja2 are imported only here."""
