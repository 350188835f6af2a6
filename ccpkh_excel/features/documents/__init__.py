"""Word documents in the format of Nghị định 30/2020/NĐ-CP: templates, context, rendering, the format check."""
