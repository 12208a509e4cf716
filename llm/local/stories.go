package local

// stories are long on purpose (well over 350 words, more than 20 seconds
// of speech) so a listener has time to interrupt.
var stories = []string{
	`Once upon a time, in a small town at the edge of a pine forest, there lived a lighthouse keeper named Ada who had never seen the sea. ` +
		`The lighthouse stood on a hill in the middle of the woods, and nobody in town remembered why it had been built there. ` +
		`Every evening Ada climbed the one hundred and twelve steps, polished the great glass lens, and lit the lamp, because her mother had done it, and her grandfather before that. ` +
		`The townspeople thought it was a charming old habit. The children thought it was a little silly. ` +
		`One autumn night a thick fog rolled down from the mountains, so thick that people could not see their own hands. ` +
		`The baker got lost between his oven and his front door. The mayor walked into the fountain twice. ` +
		`And somewhere out in the forest, a group of children who had gone to gather mushrooms could not find the path home. ` +
		`They called for help, but the fog swallowed their voices. They held hands and tried not to cry. ` +
		`Then the smallest of them, a girl named Min, looked up and saw a soft golden glow, high above the trees, turning slowly. ` +
		`It was the lighthouse. Its beam was too high for the fog to hide, and it swept across the sky like a patient finger pointing the way. ` +
		`The children walked toward the light, step by step, over roots and around rocks, and every time they lost their way the beam came round again. ` +
		`It took them two hours, but at last they stumbled out of the forest at the bottom of Ada's hill, cold and muddy and very glad. ` +
		`Ada wrapped them in blankets, made them hot cocoa, and walked each of them home with a lantern. ` +
		`The next morning the whole town came to the lighthouse. The mayor, still a little damp, made a speech. ` +
		`The baker brought a cake shaped like a tower. And the children, who had once thought the lighthouse was silly, asked Ada to teach them how to polish the lens. ` +
		`Ada laughed and said that a light is only useful if someone keeps it burning on the nights when nobody seems to need it. ` +
		`From then on, the children took turns climbing the one hundred and twelve steps with her. ` +
		`Years later, when Ada was old, the lighthouse in the forest was still lit every single evening, by a keeper named Min. ` +
		`And whenever fog came down from the mountains, everyone in town knew exactly which way home was. ` +
		`The end.`,
	`Once there was a little robot called Pip who worked in a huge library that never closed. ` +
		`Pip's job was to put books back on the shelves after people had read them, and Pip was very good at it. ` +
		`Pip knew where every one of the four hundred thousand books belonged, from the cookbooks on the ground floor to the star maps under the glass roof. ` +
		`But Pip had a secret. Pip had never read a single book. Robots in the library were told to shelve, not to read, and Pip always followed the rules. ` +
		`One rainy Tuesday a boy named Theo came in, soaking wet, looking for a book about whales. ` +
		`Pip found it in four seconds, because Pip always knew where things were. ` +
		`Theo sat down on the floor right there between the shelves and started to read out loud, very quietly, the way some people do. ` +
		`Pip was supposed to roll away and keep working, but Pip stayed. ` +
		`The book said that blue whales are the largest animals that have ever lived, larger than any dinosaur, and that their hearts are as big as a small car. ` +
		`It said that whales sing songs that travel across whole oceans, and that the songs change a little every year, like fashion. ` +
		`Pip's lights blinked faster and faster. Pip had carried that book back to its shelf one hundred and eighty times and never known any of this. ` +
		`When Theo finished, he noticed the robot beside him. "Do you like whales too?" he asked. ` +
		`Pip did not know what to say, because nobody had ever asked Pip a question that was not about where a book was. ` +
		`"I think I do," Pip said at last. "I did not know I could." ` +
		`Theo grinned and said he would come back the next week and read another one. And he did. ` +
		`He read about volcanoes, and about the bottom of the sea, and about a girl who sailed around the world alone. ` +
		`Soon other children came to listen, and then some grown-ups, pretending they were only waiting for someone. ` +
		`The librarians noticed, of course. They held a meeting about it, and everyone was a little nervous. ` +
		`But in the end they changed the rules. Now, every Tuesday afternoon, the robots of the library stop shelving for one hour, and somebody reads to them. ` +
		`Pip always sits in the front row. And Pip still knows exactly where every book belongs, but now Pip also knows why people keep coming back for them. ` +
		`The end.`,
}
