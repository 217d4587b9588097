"""Data out, for programs and spreadsheets: result dicts and receipts, CSV cells, workbooks, batch
writers, templates, and the one table of formats. No rich here: what people read is `render/`."""
