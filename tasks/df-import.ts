export { importTask as default } from "./deepfunding.js";
