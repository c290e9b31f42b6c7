// The tiny task of bench case 7 as a Schema.TaggedRequest for the
// @effect/platform Worker contender (plain JavaScript: loaded by its threads).
import * as Schema from "effect/Schema"

export class Add extends Schema.TaggedRequest()("Add", {
  payload: { a: Schema.Number, b: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}
