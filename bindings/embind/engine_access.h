// What other embind files may use of a loaded Engine (engine_embind.cpp):
// the model and its tokenizer. Both throw Error(InvalidArgument) before load.
// JS hands an engine over as engine.handle() (its address): embind cannot
// pass a pointer to a class this file only declares.
#pragma once

#include <memory>

#include "model/llama_model.h"
#include "model/tokenizer.h"

class Engine;

namespace quantlab::bindings {

Engine& engine_from_handle(double handle);
std::shared_ptr<LlamaModel> engine_model(Engine& e);
const Tokenizer& engine_tokenizer(Engine& e);

}  // namespace quantlab::bindings
